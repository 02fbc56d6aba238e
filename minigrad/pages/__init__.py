"""Every HTML page minigrad writes, built one way: a template and its assets, with the page's data inlined.

    builder.py        build_page: the shared skeleton, a page's own body, CSS and JavaScript, its data as JSON
    colours.py        the one colour code: MSE, cross-entropy, the σ′ edge, parameter and op fills
    assets/           skeleton.html, and each page's <name>.html (its body), <name>.css and <name>.js
"""
