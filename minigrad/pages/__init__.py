"""Every HTML page minigrad writes, built one way: a template and its assets, with the page's data inlined."""
