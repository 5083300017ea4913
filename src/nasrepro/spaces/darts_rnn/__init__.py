"""The DARTS recurrent space: the cell and language model (``model``), the language-model task
(``task``) and the space (``space``)."""
