"""pytest: ``dip-inpaint.py`` runs only inside GIMP (it imports ``gi``), so doctest collection skips it."""

collect_ignore = ["dip-inpaint.py"]
