DROP TABLE daily_points;
DROP TABLE participation;
DROP TABLE activity;
