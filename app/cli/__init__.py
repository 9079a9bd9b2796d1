"""Every ``faust -A app …`` command of the order system, one module each."""
