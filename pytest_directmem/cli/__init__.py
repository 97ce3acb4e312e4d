"""The `directmem` command (click): run, compare, demo, doctor, image, incidents, reproduce, diagnose."""

from .commands import main

__all__ = ["main"]
