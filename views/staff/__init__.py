"""The staff back office: Flask-Admin views over every table, for staff only."""
