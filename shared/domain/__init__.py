"""The pure domain: entities, value objects and rules. Imports no infrastructure."""
