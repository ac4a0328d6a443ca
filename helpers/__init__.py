"""Tooling around nbgrader for the "Convolutional Neural Networks, step by step" assignment."""
