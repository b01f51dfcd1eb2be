__all__ = []

# %% ../../nbs/44_views.ipynb #d2913ee7
from .routes import *

# %% ../../nbs/44_views.ipynb #4ac70e3d
from .routes import *

# %% ../../nbs/44_views.ipynb #1d38600f
from .routes import *

# %% ../../nbs/44_views.ipynb #1d38600f
from .routes import *