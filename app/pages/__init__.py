"""Dash pages: the explorer at / and the mathematics at /about."""
