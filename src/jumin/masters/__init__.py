"""Master data: municipalities, prefectures, the address dictionary, countries (standard 1.3)."""
