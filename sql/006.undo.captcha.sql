DROP TABLE used_captchas;
