"""nianbao: the annual government information disclosure report, filled in the terminal."""

__version__ = "0.1.0"
