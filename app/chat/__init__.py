"""The chat domain: rules, the service, presence and the bus. Knows nothing of NiceGUI."""
