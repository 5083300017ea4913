"""Thesis tables (thesis value beside reproduced value) and figures, built from run outputs."""
