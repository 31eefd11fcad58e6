"""Course and problem packages (docs/package-format.md): the format, its writer and its reader.

``schema`` lists each model's fields (the one place to add one), ``layout`` where files live,
``toml`` writes the manifests, ``archive`` writes and reads zips, ``export`` turns models into
files, ``load`` turns files into checked, unsaved models, ``dmoj`` converts DMOJ's ``init.yml``
problems. ``courses.services.packages`` judges and writes.
"""
