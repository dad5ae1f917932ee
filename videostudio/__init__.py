"""videostudio: a native desktop studio for OpenRouter's video generation API."""

__version__ = "0.1.0"
APP_NAME = "videostudio"
