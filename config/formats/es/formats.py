# Spanish as written in Perú and Colombia procurement documents: 1.234,50 (Django's "es" groups with a
# non-breaking space). Everything else (dates, input formats) comes from Django's "es" locale.
THOUSAND_SEPARATOR = "."
DECIMAL_SEPARATOR = ","
NUMBER_GROUPING = 3
