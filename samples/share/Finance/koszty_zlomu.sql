-- Miesiêczne ksiêgowanie kosztów z³omu na centra kosztów (uruchamiane rêcznie przez kontrolera)
INSERT INTO dbo.KsiegowaniaKosztow (CentrumKosztow, KontoKsiegowe, Kwota, Opis)
SELECT z.CentrumKosztow, '4711', SUM(z.Ilosc * c.CenaJednostkowa), 'Koszt z³omu'
FROM dbo.Zlom z
JOIN dbo.Cennik c ON c.Material = z.Material
WHERE z.Miesiac = '2024-05'
GROUP BY z.CentrumKosztow;
