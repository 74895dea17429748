"""住民記録 (the municipal resident registry): residents, households, history, 異動 workflows."""
