"""NiceGUI pages and components."""
