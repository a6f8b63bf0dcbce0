"""What runs the app on one machine with no Azure: Azurite, the local Functions host, the emulated cloud."""
