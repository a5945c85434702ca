"""``msdunet cull``: photos sorted into folders by verdict and pick (``sort``), XMP sidecars (``xmp``), picks
from the web app (``picks``) and a journal that undoes it all (``undo``)."""
