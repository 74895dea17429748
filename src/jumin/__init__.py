"""Jumin: the Japanese resident registry (住民基本台帳) and the network around it."""

__version__ = "0.1.0"
