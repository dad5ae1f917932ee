"""Small widgets and helpers shared by the screen areas."""
