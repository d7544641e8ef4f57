"""Impact Explorer library: council spend → places → local economic impact.

Everything here is plain Python (pandas/geopandas/shapely/scikit-learn); nothing
imports Streamlit, so the command line, the app and the tests share one engine.
"""

__version__ = "0.1.0"
