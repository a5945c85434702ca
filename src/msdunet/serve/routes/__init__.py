"""The app's routes, one module per group; each ``router(state)`` is an ``APIRouter``."""
