"""The lessons: the σ′ story told with minigrad's own numbers, as `minigrad explain` and `minigrad compare` tell it.

    explain.py        one sigmoid neuron under MSE and under cross-entropy: graphs, table, pages
    explain_page.py   its explorable page, index.html: move the neuron, watch σ′
    explain_replay.py its replay.html: backward under both losses, step by step, σ′ at step 3
    compare.py        one network trained under MSE and under cross-entropy, layer by layer
    compare_page.py   its explorable page's data, compare.html: both runs on shared axes
    exercises/        the workbook of `minigrad exercises`: backward rules for the learner to write, checked
"""
