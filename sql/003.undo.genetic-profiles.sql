DROP TABLE genetic_profiles;
