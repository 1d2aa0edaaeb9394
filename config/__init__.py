"""The project, apart from its apps: settings, the root URLs and the WSGI entry point."""
