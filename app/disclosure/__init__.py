"""Public disclosure (信息公开): the fund's notice board, its charts, and the quarterly and
annual reports the Charity Law requires, published in versions."""
