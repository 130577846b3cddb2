"""Public pages: login, logout, health; later the application and self-registration."""
