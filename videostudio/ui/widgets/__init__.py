"""Small pieces the screen areas share (compose, library, review and money import this, not
each other)."""
