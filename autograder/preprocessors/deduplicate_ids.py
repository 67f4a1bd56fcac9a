"""DeduplicateIdsCompletely: nbgrader's DeduplicateIds, without empty metadata left behind."""


from nbgrader.preprocessors import DeduplicateIds


class DeduplicateIdsCompletely(DeduplicateIds):
    """nbgrader's DeduplicateIds, but an earlier duplicate loses its nbgrader metadata entirely.

    nbgrader leaves ``"nbgrader": {}`` on it, which OverwriteCells.add_missing_cells then
    reads as a cell without ``grade_id`` (KeyError: the whole submission fails).
    """

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources
