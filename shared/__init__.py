"""The shared package: domain, services, repositories, adapters, HTTP kit and configuration."""
