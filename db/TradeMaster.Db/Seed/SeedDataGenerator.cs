using Bogus;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Db.Seed;

/// <summary>
/// Realistic pt-BR master data for demos and tests. Everything comes from one seeded randomizer and fixed
/// reference dates, so the same seed number always yields the same stores, people, catalog and stock.
/// </summary>
public static class SeedDataGenerator
{
    private static readonly DateTime Reference = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private const int MaxCopiesForSale = 25;
    private const int MaxRentalCopies = 8;

    /// <summary>Scaled copies still fit the stock table's integer columns.</summary>
    public const int MaxStockScale = int.MaxValue / MaxCopiesForSale;

    // Real cities, their state, a real-looking postal prefix and the IANA zone the store's local date comes from.
    private static readonly (string City, string State, string PostalPrefix, string Timezone, string[] Districts)[] Cities =
    [
        ("São Paulo", "SP", "01", "America/Sao_Paulo", ["Pinheiros", "Moema", "Vila Mariana", "Santana", "Tatuapé"]),
        ("Rio de Janeiro", "RJ", "22", "America/Sao_Paulo", ["Copacabana", "Tijuca", "Botafogo", "Barra da Tijuca"]),
        ("Belo Horizonte", "MG", "30", "America/Sao_Paulo", ["Savassi", "Funcionários", "Pampulha", "Lourdes"]),
        ("Porto Alegre", "RS", "90", "America/Sao_Paulo", ["Moinhos de Vento", "Cidade Baixa", "Bom Fim", "Menino Deus"]),
        ("Recife", "PE", "50", "America/Recife", ["Boa Viagem", "Casa Forte", "Espinheiro", "Graças"]),
        ("Salvador", "BA", "40", "America/Bahia", ["Barra", "Pituba", "Rio Vermelho", "Itaigara"]),
        ("Manaus", "AM", "69", "America/Manaus", ["Adrianópolis", "Ponta Negra", "Centro", "Aleixo"]),
        ("Curitiba", "PR", "80", "America/Sao_Paulo", ["Batel", "Água Verde", "Centro Cívico", "Cabral"]),
    ];

    private static readonly Dictionary<MediaType, string[]> Genres = new()
    {
        [MediaType.Book] = ["Romance", "Ficção científica", "Fantasia", "Biografia", "Suspense", "Autoajuda", "História", "Poesia", "Infantil", "Negócios"],
        [MediaType.Movie] = ["Drama", "Comédia", "Ação", "Terror", "Animação", "Documentário", "Ficção científica", "Romance"],
        [MediaType.SeriesDvd] = ["Drama", "Comédia", "Policial", "Fantasia", "Documentário", "Ficção científica"],
    };

    private static readonly string[] TitleNouns =
    [
        "Mar", "Sertão", "Cidade", "Noite", "Memória", "Estrada", "Silêncio", "Rio", "Vento", "Jardim", "Espelho",
        "Ilha", "Tempo", "Sombra", "Viagem", "Casa", "Fogo", "Segredo", "Horizonte", "Carnaval", "Floresta", "Sol",
    ];

    private static readonly string[] TitleQualifiers =
    [
        "Perdido", "Sem Fim", "de Outono", "das Águas", "do Norte", "Proibido", "Eterno", "de Papel", "Distante",
        "da Meia-Noite", "Selvagem", "de Vidro", "Dourado", "Esquecido", "das Estrelas", "em Chamas",
    ];

    public static SeedData Generate(SeedOptions? options = null)
    {
        options ??= new SeedOptions();
        if (options.Stores < 1 || options.Stores > Cities.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"Between 1 and {Cities.Length} stores.");
        }
        if (options.StockScale < 1 || options.StockScale > MaxStockScale)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"StockScale between 1 and {MaxStockScale:N0}.");
        }
        var faker = new Faker("pt_BR") { Random = new Randomizer(options.Seed) };

        var stores = Enumerable.Range(1, options.Stores).Select(id => MakeStore(faker, id)).ToList();
        var employees = MakeEmployees(faker, stores, options.Employees);
        var customers = MakeCustomers(faker, options.Customers);
        var items = Enumerable.Range(1, options.Items).Select(id => MakeItem(faker, id)).ToList();
        var stock = MakeStock(faker, stores, items, options.StockScale);
        var apiKeys = stores.SelectMany(s => new[]
        {
            new SeedApiKey(DevApiKey(s.StoreId, EmployeeRole.Clerk), s.StoreId, EmployeeRole.Clerk, $"dev clerk key of {s.Code}"),
            new SeedApiKey(DevApiKey(s.StoreId, EmployeeRole.Manager), s.StoreId, EmployeeRole.Manager, $"dev manager key of {s.Code}"),
        }).ToList();
        return new SeedData(stores, employees, customers, items, stock, apiKeys);
    }

    /// <summary>The documented development key of a store and role (embedded mode and tests only).</summary>
    public static string DevApiKey(int storeId, EmployeeRole role) => $"tm-dev-store{storeId}-{WireNames.Of(role)}";

    private static SeedStore MakeStore(Faker f, int id)
    {
        var place = Cities[id - 1];
        var district = f.PickRandom(place.Districts);
        return new SeedStore(
            StoreId: id,
            Code: $"{place.State}-{id:D2}",
            Name: $"TradeMaster {place.City} {district}",
            Street: f.Address.StreetName(),
            StreetNumber: f.Random.Number(10, 3000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            District: district,
            City: place.City,
            State: place.State,
            PostalCode: place.PostalPrefix + f.Random.ReplaceNumbers("######"),
            Timezone: place.Timezone,
            Phone: f.Random.ReplaceNumbers("(##) 3###-####"),
            OpenedOn: DateOnly.FromDateTime(f.Date.Between(Reference.AddYears(-12), Reference.AddYears(-1))));
    }

    private static List<SeedEmployee> MakeEmployees(Faker f, IReadOnlyList<SeedStore> stores, int count)
    {
        var employees = new List<SeedEmployee>(count);
        var emails = new HashSet<string>(StringComparer.Ordinal);
        for (var id = 1; id <= count; id++)
        {
            var store = stores[(id - 1) % stores.Count];
            // The first employee of each store is its manager; a few clerks have left (inactive).
            var role = id <= stores.Count ? EmployeeRole.Manager : EmployeeRole.Clerk;
            var first = f.Name.FirstName();
            var last = f.Name.LastName();
            var email = Unique(emails, $"{Slug(first)}.{Slug(last)}", "@trademaster.com.br");
            var active = role == EmployeeRole.Manager || f.Random.Double() > 0.06;
            employees.Add(new SeedEmployee(id, store.StoreId, $"{first} {last}", email, role,
                DateOnly.FromDateTime(f.Date.Between(Reference.AddYears(-8), Reference)), active));
        }
        return employees;
    }

    private static List<SeedCustomer> MakeCustomers(Faker f, int count)
    {
        var customers = new List<SeedCustomer>(count);
        var cpfs = new HashSet<string>(StringComparer.Ordinal);
        var emails = new HashSet<string>(StringComparer.Ordinal);
        Span<int> nine = stackalloc int[9];
        for (var id = 1; id <= count; id++)
        {
            string cpf;
            do
            {
                for (var i = 0; i < 9; i++) nine[i] = f.Random.Number(0, 9);
                cpf = BrazilianDocuments.CompleteCpf(nine);
            }
            while (!BrazilianDocuments.IsValidCpf(cpf) || !cpfs.Add(cpf));

            var first = f.Name.FirstName();
            var last = f.Name.LastName();
            var place = f.PickRandom(Cities);
            var consent = f.Random.Double() < 0.6;
            customers.Add(new SeedCustomer(
                CustomerId: id,
                Cpf: cpf,
                FullName: $"{first} {last}",
                Email: Unique(emails, $"{Slug(first)}.{Slug(last)}", "@" + f.PickRandom("gmail.com", "hotmail.com", "uol.com.br", "yahoo.com.br", "outlook.com")),
                Phone: f.Random.ReplaceNumbers("(##) 9####-####"),
                BirthDate: DateOnly.FromDateTime(f.Date.Between(Reference.AddYears(-80), Reference.AddYears(-16))),
                City: place.City,
                State: place.State,
                MarketingConsent: consent,
                ConsentAt: consent ? new DateTimeOffset(f.Date.Between(Reference.AddYears(-3), Reference), TimeSpan.Zero) : null,
                Active: f.Random.Double() > 0.01));
        }
        return customers;
    }

    private static SeedItem MakeItem(Faker f, int id)
    {
        var type = f.Random.WeightedRandom([MediaType.Book, MediaType.Movie, MediaType.SeriesDvd], [0.45f, 0.35f, 0.20f]);
        var title = $"{f.PickRandom("O", "A", "Os", "As")} {f.PickRandom(TitleNouns)} {f.PickRandom(TitleQualifiers)}";
        if (type == MediaType.SeriesDvd)
        {
            title += $" — Temporada {f.Random.Number(1, 6)}";
        }
        else if (f.Random.Double() < 0.15)
        {
            title += $" {f.Random.Number(2, 4)}";
        }

        // Prices end in ,90 as Brazilian shelf prices do.
        decimal Price(int min, int max) => f.Random.Number(min, max) + 0.90m;
        var (sale, daily) = type switch
        {
            MediaType.Book => (Price(24, 129), Price(1, 5)),
            MediaType.Movie => (Price(19, 79), Price(2, 8)),
            _ => (Price(49, 199), Price(4, 13)),
        };
        var isbn = type == MediaType.Book ? BrazilianDocuments.CompleteEan13($"97865{id:D7}") : null;
        var ean = isbn ?? BrazilianDocuments.CompleteEan13($"789{(int)type}{id:D8}");
        return new SeedItem(
            ItemId: id,
            MediaType: type,
            Title: title,
            Genre: f.PickRandom(Genres[type]),
            Creator: f.Name.FullName(),
            ReleaseYear: (short)f.Random.Number(1960, 2024),
            Ean: ean,
            Isbn: isbn,
            SalePrice: sale,
            DailyRentalPrice: daily,
            // Most books are sold only; a few rare editions are rental-only; a handful left the catalog.
            Sellable: f.Random.Double() > 0.05,
            Rentable: type != MediaType.Book || f.Random.Double() < 0.3,
            Active: f.Random.Double() > 0.02);
    }

    private static List<SeedStock> MakeStock(Faker f, IReadOnlyList<SeedStore> stores, IReadOnlyList<SeedItem> items, int scale)
    {
        var stock = new List<SeedStock>(stores.Count * items.Count);
        foreach (var store in stores)
        {
            foreach (var item in items)
            {
                if (f.Random.Double() > 0.85) continue; // not every store carries every title
                stock.Add(new SeedStock(store.StoreId, item.ItemId,
                    CopiesForSale: item.Sellable ? f.Random.Number(0, MaxCopiesForSale) * scale : 0,
                    RentalCopiesOwned: item.Rentable ? f.Random.Number(0, MaxRentalCopies) * scale : 0));
            }
        }
        return stock;
    }

    private static string Unique(HashSet<string> taken, string local, string domain)
    {
        var candidate = local + domain;
        for (var n = 2; !taken.Add(candidate); n++) candidate = $"{local}{n}{domain}";
        return candidate;
    }

    private static string Slug(string name)
    {
        var normalized = name.Normalize(System.Text.NormalizationForm.FormD);
        return new string(normalized.Where(c => char.IsAsciiLetter(c)).ToArray()).ToLowerInvariant();
    }
}
