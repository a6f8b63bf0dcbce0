"""The domain core, importable without Azure Functions."""
