"""The window itself: layout and wiring, banners, style, the key dialog."""
