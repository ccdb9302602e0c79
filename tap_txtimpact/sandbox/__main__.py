"""Run the sandbox with `python -m tap_txtimpact.sandbox`."""

from tap_txtimpact.sandbox.cli import main

if __name__ == "__main__":
    main()
