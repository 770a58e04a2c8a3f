"""The files of a trial's schedule: one module per format, its writer and its reader together.

- :mod:`nof1.files.allocation_csv`: the analyst's ``ID-allocation-blinded.csv`` and
  ``series-allocation-blinded.csv``, read back by ``nof1 analyze --allocation`` and
  ``nof1 series --allocations``;
- :mod:`nof1.files.unblinding_key`: the pharmacist's ``ID-unblinding-key.json`` and
  ``series-unblinding-key.json``, read back the same way and by ``--from-key``;
- :mod:`nof1.files.calendar`: the patient's ``ID-calendar.csv`` and ``ID-calendar.ics``
  (never read back);
- :mod:`nof1.files.diary_csv`: ``ID-diary-template.csv`` and the diaries ``nof1 simulate``
  writes, read back by :func:`nof1.data.read_diary`, the importer of every diary layout;
- :mod:`nof1.files.text`: how each of these text files is encoded.

Who gets which file is decided in :func:`nof1.design.blinding.schedule_files`; an
allocation read back is matched to a protocol and a diary in ``nof1.data``
(:class:`nof1.data.AllocationFile`). The files of an analysis (``results.json``,
``aligned.csv``, ``series.json``, ``power.json``) are written and read by their own stages.
"""
