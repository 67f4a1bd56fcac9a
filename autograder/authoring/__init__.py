"""Tools for lesson authors: run lessons, compare their outputs within tolerances, simulate students."""
