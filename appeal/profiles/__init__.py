"""Import profiles: the real downloads (OCHA FTS, IATI) read as they are, by the layouts the
table contract declares (:data:`models.contract.PROFILES`)."""
