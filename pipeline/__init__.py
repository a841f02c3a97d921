"""Mining Chinese customer reviews into service-quality action."""

__version__ = "0.1.0"
