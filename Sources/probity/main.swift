print("probity")
