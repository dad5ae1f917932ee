"""Small widgets and helpers shared by the window's screen areas."""
