"""nbgrader's exchange: publishing lessons, collecting submissions, and the plug-ins that keep them private."""
