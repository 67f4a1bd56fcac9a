"""Train/validation split with optional standardization fit on the training part only."""
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def train_val_split(X, y, test_size=0.2, random_state=42, standardize=True):
    """Split ``X, y`` (plain, unstratified split) and standardize the features.

    The scaler learns mean and standard deviation from the training part only, so the
    validation part stays unseen. Returns ``(X_train, X_val, y_train, y_val, scaler)``;
    ``scaler`` is None when ``standardize`` is False.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (samples, features), got shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"X and y differ in length: {len(X)} vs {len(y)}")
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=test_size, random_state=random_state)
    if not standardize:
        return X_train, X_val, y_train, y_val, None
    scaler = StandardScaler().fit(X_train)
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float32
    X_train = scaler.transform(X_train).astype(dtype, copy=False)
    X_val = scaler.transform(X_val).astype(dtype, copy=False)
    return X_train, X_val, y_train, y_val, scaler
