"""VistaFlow's domain: models, services, platform clients. Imports no door."""
