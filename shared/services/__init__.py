"""Azure backup service request builders, side by side: paths, api-versions and bodies, no I/O."""
