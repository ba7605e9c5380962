"""squall feed: a real-time feed built with squall (the project's demo).

Run it with ``python -m feed`` from the ``demos`` folder (see server.py).
"""
