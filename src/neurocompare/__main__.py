"""``python -m neurocompare`` runs the command-line interface."""

from neurocompare.cli import main

main()
