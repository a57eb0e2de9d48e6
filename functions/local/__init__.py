"""The local platform: embedded servers, a path router over every HTTP function, demo data."""
